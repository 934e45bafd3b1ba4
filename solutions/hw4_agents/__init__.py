"""Assignment 4: RL agents, from a random agent on FrozenLake to a Decision-Transformer-style policy."""
