"""JupyterLab as the ui-tests run it: behind the demo portal at /jupyter/, Galata's helpers on.

The portal passes port, base URL and token on the command line, which take precedence over
what configure_jupyter_server sets here.
"""

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
