"""``python -m lazycheck``."""

from lazycheck.cli.main import main

main()
