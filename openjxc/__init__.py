"""OpenJXC: a pluggable 进销存 kernel with a GraphQL API."""

__version__ = "0.1.0"
KERNEL_VERSION = __version__
