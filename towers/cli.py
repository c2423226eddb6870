"""The `towers` command: Django's management commands behind one entry point."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "towers.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["towers", *sys.argv[1:]])


if __name__ == "__main__":
    main()
