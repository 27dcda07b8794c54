"""Domain: what a command is, how a run ended and what that means. Standard library only."""
