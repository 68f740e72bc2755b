"""`python -m app` runs the same CLI as the `usage-dashboard` script."""

from app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
