"""Speed measurements, run by hand (`make bench`), never by the test suite."""
