"""One module per ``lsnn`` subcommand: ``add_parser(sub, name, help)`` declares the arguments (light to
import) and sets ``run(args)``, which imports the wing or pipeline it calls."""
