import sys

from kconnect.workers.child import main

sys.exit(main())
