"""``gdx doctor LOG``: flags → gdx.app.doctor → gdx.render.doctor."""

from __future__ import annotations

from typing import Optional

import typer

from . import common

HELP = (
    "Read a training log (CSV with a header, JSON Lines, or a gdx export) and say what is wrong with its loss "
    "curve: diverged, spike, plateau, noise_floor, slow, overfitting, warmup, clipping, lr_event — or healthy. "
    "Each finding gives its steps, the evidence as numbers and one suggestion, by published rules (fastai's "
    "lr finder, torch's ReduceLROnPlateau, the Deep Learning Tuning Playbook, Karpathy's recipe).\n\n"
    "Columns are found by name (step/iter/global_step/epoch, loss/train_loss, val_loss/valid_loss/eval_loss, "
    "lr/learning_rate, grad_norm, full_loss) or named with --step, --loss, --val, --lr, --grad-norm, --full-loss; "
    "Lightning, Keras, fastai, W&B, Hugging Face and TensorBoard logs are read as they write them. Exit 1 when "
    "a run diverged."
)

EPILOG = (
    "Examples:\n\n"
    "gdx doctor train.csv\n\n"
    "gdx doctor metrics.jsonl --loss train/loss --val eval/loss --json\n\n"
    "gdx doctor sweep.csv --run run_id\n\n"
    "gdx doctor --lr-range lr_find.csv"
)


def register(app: typer.Typer) -> None:
    common.command(app, "doctor", help=HELP, epilog=EPILOG)(doctor)


def doctor(
    ctx: typer.Context,
    log: str = typer.Argument(..., metavar="LOG", help="The training log: .csv, .jsonl or a gdx export.",
                              show_default=False),
    step: Optional[str] = typer.Option(None, "--step", help="The step column. [default: step, iter, global_step, epoch …]"),
    loss: Optional[str] = typer.Option(None, "--loss", help="The training-loss column. [default: loss, train_loss …]"),
    val: Optional[str] = typer.Option(None, "--val", help="The validation-loss column. [default: val_loss, valid_loss, eval_loss …]"),
    lr: Optional[str] = typer.Option(None, "--lr", help="The learning-rate column. [default: lr, learning_rate]"),
    grad_norm: Optional[str] = typer.Option(None, "--grad-norm", help="The gradient-norm column. [default: grad_norm]"),
    full_loss: Optional[str] = typer.Option(None, "--full-loss", help="The full-data loss of a minibatch run (the smooth curve the rules read). [default: full_loss]"),
    run: Optional[str] = typer.Option(None, "--run", help="Split the rows into runs by this column."),
    patience: int = typer.Option(10, "--patience", help="ReduceLROnPlateau's patience, in evaluations (100 per log)."),
    target: Optional[float] = typer.Option(None, "--target", help="For a slow run: the loss to extrapolate the steps to. [default: 10% below the current loss]"),
    lr_range: bool = typer.Option(False, "--lr-range", help="Read LOG as a learning-rate range test (lr rising geometrically): fastai's suggestions."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document and nothing else."),
) -> None:
    from ..app.doctor import doctor as run_doctor

    columns = {"step": step, "loss": loss, "val": val, "lr": lr, "grad_norm": grad_norm, "full": full_loss}
    outcome = run_doctor(log, columns={k: v for k, v in columns.items() if v is not None}, run=run,
                         patience=patience, target=target, lr_range=lr_range)
    out = common.session(ctx).out()
    if json_out:
        from ..render.console import write_json

        write_json(out, outcome.document)
    else:
        from ..render.doctor import render_doctor

        render_doctor(out, outcome)
    common.finish(outcome.exit_code)
