"""Stand-in for the pip bootstrap script that ansible-test downloads from ci-files.testing.ansible.com.

That host is not reachable from our build machines (PyPI is). ansible-test runs this file as
`get-pip.py [--disable-pip-version-check] pip==X [--no-setuptools] [--no-wheel]` inside a fresh
virtual environment; installing pip with the standard library's ensurepip and then the requested
pip version from PyPI does the same job.
"""

import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *args])
