"""The parts of SlackSim (tests/support/slack_sim.py): signing and transport, surfaces and elements, payloads."""
