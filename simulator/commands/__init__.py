"""Command groups kept out of cli.py, one module each.

Each module has `register(sub) -> {command name: handler}`: it adds its subparsers and returns
the handlers for `simulator.cli.main` to dispatch to. Handlers import what they need lazily, so
building the parser stays cheap and never imports Textual.
"""

MODULES = (
    "simulator.commands.supervise",  # assign
    "simulator.commands.bundles",  # export, import, trainee export|erase
    "simulator.commands.reports",  # report
    "simulator.commands.xapi",  # xapi export|send
    "simulator.commands.workshop",  # serve, facilitate
)
