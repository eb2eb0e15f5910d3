"""Installs the tensor_transform package the build assembled in build/python,
with its native extension as built (for the Python it was built for), into
the environment of the Python that runs pip, offline:

    python3 -m pip install --no-index --no-build-isolation build/python

Needs NumPy in that environment (and grpcio with protobuf for the
pure-Python fallback).
"""

from setuptools import setup
from setuptools.dist import Distribution


class _Prebuilt(Distribution):
    """Holds a compiled extension: the wheel is tagged for this platform and
    Python, not as pure Python."""

    def has_ext_modules(self):
        return True


setup(
    name="tensor-transform",
    version="0.1.0",
    description="NumPy client for the tensor-transform gRPC service",
    packages=["tensor_transform"],
    package_data={"tensor_transform": ["_native*.so"]},
    install_requires=["numpy"],
    python_requires=">=3.8",
    distclass=_Prebuilt,
)
