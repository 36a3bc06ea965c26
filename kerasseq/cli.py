"""The `kerasseq` command line."""

import argparse
import sys


def main(argv=None) -> int:
    """Entry point of the `kerasseq` console script."""
    parser = argparse.ArgumentParser(
        prog="kerasseq", description="Recurrent sequence models for Keras 3."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="train a small attention model on generated data (no download)"
    )
    demo.add_argument(
        "--seconds", type=float, default=20.0, help="training time (default 20)"
    )
    demo.add_argument(
        "--cell", default="gru", help="gru, lstm or simple_rnn (default gru)"
    )
    args = parser.parse_args(argv)

    if args.command == "demo":
        from kerasseq import demo as demo_module

        if args.seconds <= 0:
            parser.error(f"--seconds must be positive, received: {args.seconds}")
        demo_module.run(seconds=args.seconds, cell=args.cell)
    return 0


if __name__ == "__main__":
    sys.exit(main())
