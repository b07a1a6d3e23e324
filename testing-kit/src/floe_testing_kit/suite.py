"""The suite `floe-conformance` runs: the installed channel named by ``--floe-channel``."""

from floe_testing_kit.conformance import ChannelConformance

__all__ = ["TestInstalledChannel"]


class TestInstalledChannel(ChannelConformance):
    """Conformance of the channel given on the command line."""
