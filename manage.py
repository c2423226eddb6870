#!/usr/bin/env python
from towers.cli import main

if __name__ == "__main__":
    main()
