"""Where threads come from: capture files and folders, platform connectors, platform data exports."""
