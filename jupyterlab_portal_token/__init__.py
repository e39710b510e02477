"""JupyterLab extension that requests portal API tokens and injects them into kernels."""

__version__ = "0.1.0"


def _jupyter_labextension_paths():
    """Where JupyterLab finds the prebuilt extension."""
    return [{"src": "labextension", "dest": "jupyterlab-portal-token"}]
