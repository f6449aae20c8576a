"""Developer tools: training scripts that reproduce the derived data files in bot/nlp/data/."""
