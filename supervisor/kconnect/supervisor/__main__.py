# Same as the `kconnect` console script (like `python -m gunicorn`).
import sys

from kconnect.supervisor.cli import main

sys.exit(main())
