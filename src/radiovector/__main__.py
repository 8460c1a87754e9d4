"""``python -m radiovector``: the command line."""

from radiovector.cli import main

main()
