"""Entry point: `python scripts/soar_report ...` runs this file with the package folder on sys.path;
the package is imported from its parent so that its modules import each other as soar_report.*."""
import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from soar_report.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
