"""Reinforcement learning with LSNNs: the meta-RL navigation task of the NeurIPS paper (§6), PPO, the agent."""
