import floe_testing_kit


def test_version_is_read_from_metadata() -> None:
    assert floe_testing_kit.__version__ == "0.1.0"
