"""Generated wire code of the Hawk Farm contract (`make proto`); the .proto files beside it are the source."""
