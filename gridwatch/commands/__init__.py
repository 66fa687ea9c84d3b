"""One module per subcommand; ``gridwatch.cli`` imports only the one that runs."""
