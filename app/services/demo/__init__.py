"""Demo and load-test data: the seed's accounts and complaints, the data generator and its recorder of engine runs."""
