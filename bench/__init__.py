"""The benchmark suite of the usage dashboard: `python -m bench [--scale small|full] [--out DIR]`."""
