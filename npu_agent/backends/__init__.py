"""Agent backends: how a candidate is compiled and run on one device. The service never knows which."""
