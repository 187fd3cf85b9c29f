"""training_demo: watch a small neural network learn, from random weights to a decision.

The notes describe training as: start from random weights and biases, run the
network, compare with the desired outputs through a loss function, and let
backpropagation adjust the weights and biases. This tool does exactly that with
a tiny torch MLP on a toy 2-D dataset, then draws the falling loss and the
boundary the network ended up drawing between the two classes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from tools.arguments import training_args
from tools.base import Artifact, ToolContext, ToolResult
from tools.demo_models import one_torch_thread
from tools.figures import pyplot, save_figure
from tools.notes_refs import cite_notes
from tools.registry import ToolDeclaration

DATASETS = {
    "xor": "four noisy clusters; opposite corners share a class (no straight line separates them)",
    "moons": "two interleaving half-circles",
    "circles": "a small circle inside a larger one",
}
MAX_EPOCHS = 5000
MAX_LAYERS = 4
MAX_WIDTH = 256
MAX_SEED = 2**32 - 1  # scikit-learn's random_state
POINTS = 200
_SECTION = "Deep Learning Basics > How does training work conceptually?"


class TrainingDemoArgs(BaseModel):
    """Arguments of training_demo, described for the model that picks tools."""

    dataset: Literal["xor", "moons", "circles"] = Field(
        default="xor", description="Toy 2-D dataset: 'xor', 'moons' or 'circles'."
    )
    hidden: list[Annotated[int, Field(ge=1, le=MAX_WIDTH)]] = Field(
        default=[8],
        min_length=1,
        max_length=MAX_LAYERS,
        description="Neurons in each hidden layer, 1..4 layers of 1..256 neurons, e.g. [8] or [16, 16].",
    )
    epochs: int = Field(
        default=300, ge=1, le=MAX_EPOCHS, description="Training passes over the data, 1..5000."
    )
    lr: float = Field(
        default=0.1, gt=0, le=10, description="Learning rate (step size of each update), in (0, 10]."
    )
    seed: int = Field(
        default=0,
        ge=0,
        le=MAX_SEED,
        description="Random seed for data and initial weights, 0..4294967295; same seed, same result.",
    )

    @field_validator("dataset", mode="before")
    @classmethod
    def _dataset_name(cls, value: Any) -> Any:
        """'XOR' and ' moons' name the same datasets as 'xor' and 'moons'."""
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("hidden", mode="before")
    @classmethod
    def _one_layer(cls, value: Any) -> Any:
        """A single number is one hidden layer of that many neurons."""
        return [value] if isinstance(value, int) and not isinstance(value, bool) else value


def training_demo(
    ctx: ToolContext,
    dataset: str = "xor",
    hidden: tuple[int, ...] | list[int] = (8,),
    epochs: int = 300,
    lr: float = 0.1,
    seed: int = 0,
) -> ToolResult:
    """Train a small neural network from random weights on a toy dataset (xor, moons, circles); plot the
    loss curve and the decision boundary."""
    import torch

    layers = (hidden,) if isinstance(hidden, int) else tuple(hidden)
    x_np, y_np = make_dataset(dataset, seed)
    x = torch.tensor(x_np, dtype=torch.float32)
    y = torch.tensor(y_np, dtype=torch.float32)[:, None]

    torch.manual_seed(seed)  # the "random weights and biases" of the notes, reproducible per seed
    net = _mlp(layers)
    n_weights = sum(p.numel() for n, p in net.named_parameters() if n.endswith("weight"))
    n_biases = sum(p.numel() for n, p in net.named_parameters() if n.endswith("bias"))
    loss_fn = torch.nn.BCEWithLogitsLoss()  # sigmoid squashes the output to 0..1, then cross-entropy
    with torch.no_grad():
        start_acc = _accuracy(net(x), y)
    losses = _train(net, x, y, loss_fn, epochs, lr)
    with torch.no_grad():
        final_logits = net(x)
        final_loss = float(loss_fn(final_logits, y))
        accuracy = _accuracy(final_logits, y)

    artifact = _draw(ctx, net, x_np, y_np, losses, dataset, layers, accuracy)
    data: dict[str, Any] = {
        "dataset": dataset,
        "hidden": list(layers),
        "epochs": epochs,
        "lr": lr,
        "seed": seed,
        "points": len(y_np),
        "weights": n_weights,
        "biases": n_biases,
        "losses": [round(v, 6) for v in losses],
        "initial_loss": losses[0],
        "final_loss": final_loss,
        "initial_accuracy": start_acc,
        "accuracy": accuracy,
    }
    text = _explain(
        dataset, layers, n_weights, n_biases, losses[0], final_loss, start_acc, accuracy, epochs, lr
    )
    citation = cite_notes(_SECTION, "Initially, we start with random weights and biases")
    backprop = cite_notes(_SECTION, "After comparing the results, the backpropagation step begins")
    return ToolResult(text=text, artifacts=[artifact], citations=[citation, backprop], data=data)


def make_dataset(name: str, seed: int) -> tuple[Any, Any]:
    """200 labelled 2-D points; the same seed always gives the same points."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if name == "xor":
        corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
        labels = np.array([0, 1, 1, 0])
        pick = np.arange(POINTS) % 4  # the four XOR cases, 50 noisy copies each
        x = corners[pick] + rng.normal(0.0, 0.12, size=(POINTS, 2))
        return (x - 0.5) * 2.0, labels[pick]
    from sklearn.datasets import make_circles, make_moons

    if name == "moons":
        x, y = make_moons(n_samples=POINTS, noise=0.15, random_state=seed)
        return (x - x.mean(0)) / x.std(0), y
    x, y = make_circles(n_samples=POINTS, noise=0.08, factor=0.45, random_state=seed)
    return x * 1.5, y


def _mlp(layers: tuple[int, ...]) -> Any:
    """2 inputs -> tanh hidden layers -> 1 output logit."""
    import torch

    blocks: list[Any] = []
    width = 2
    for size in layers:
        blocks += [torch.nn.Linear(width, size), torch.nn.Tanh()]
        width = size
    blocks.append(torch.nn.Linear(width, 1))
    return torch.nn.Sequential(*blocks)


def _train(net: Any, x: Any, y: Any, loss_fn: Any, epochs: int, lr: float) -> list[float]:
    """Full-batch training; returns the loss of every epoch."""
    import torch

    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    losses: list[float] = []
    with one_torch_thread():
        for _ in range(epochs):
            optimizer.zero_grad()
            logits = net(x)  # forward pass over all points at once
            loss = loss_fn(logits, y)  # how far from the desired outputs
            loss.backward()  # backpropagation: d loss / d every weight and bias, layer by layer backwards
            optimizer.step()  # nudge every weight and bias against its gradient
            losses.append(loss.item())
    return losses


def _accuracy(logits: Any, y: Any) -> float:
    return float(((logits > 0).float() == y).float().mean())


def _explain(
    name: str,
    layers: tuple[int, ...],
    n_weights: int,
    n_biases: int,
    first_loss: float,
    final_loss: float,
    start_acc: float,
    accuracy: float,
    epochs: int,
    lr: float,
) -> str:
    shape = " -> ".join(["2 inputs", *(f"{w} neurons" for w in layers), "1 output"])
    verdict = (
        "Every point is now on the right side of the boundary."
        if accuracy == 1.0
        else "Some points are still misclassified: try more epochs, more neurons or another learning rate."
    )
    return "\n".join(
        [
            f"I trained a {shape} network on the {name} dataset ({DATASETS[name]}), {POINTS} points, "
            f"{epochs} epochs, learning rate {lr}. It has {n_weights} weights and {n_biases} biases "
            f"({n_weights + n_biases} numbers to learn).",
            f"1. Random start: weights and biases began random, so the network was guessing "
            f"({start_acc:.0%} correct, loss {first_loss:.3f}).",
            "2. Forward pass: each neuron takes the previous layer's outputs, multiplies them by its weights, "
            "adds its bias and passes the sum through tanh; the output neuron's score is squashed to 0..1 by a "
            "sigmoid, the probability of class 1.",
            "3. Loss: binary cross-entropy compares those probabilities with the desired outputs; the goal is "
            "to make it small.",
            "4. Backpropagation: starting from the loss, the gradient flows back from the output layer through "
            "each earlier layer, telling every weight and bias which way to move; the Adam optimizer then "
            "adjusts them. Repeating this over many epochs is the training.",
            f"Result: loss fell from {first_loss:.3f} to {final_loss:.3f} and {_percent(accuracy)} of the training "
            f"points are classified correctly. {verdict}",
            "The left picture is the loss per epoch; the right one shows the regions the trained network "
            "assigns to each class (background colour) with the data points on top.",
        ]
    )


def _draw(
    ctx: ToolContext,
    net: Any,
    x: Any,
    y: Any,
    losses: list[float],
    name: str,
    layers: tuple[int, ...],
    accuracy: float,
) -> Artifact:
    import numpy as np
    import torch

    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6), dpi=90)
    left.plot(range(1, len(losses) + 1), losses, color="tab:blue")
    left.set_xlabel("epoch")
    left.set_ylabel("loss (binary cross-entropy)")
    left.set_title("Training loss")
    left.grid(alpha=0.3)

    pad = 0.5
    xs = np.linspace(x[:, 0].min() - pad, x[:, 0].max() + pad, 150)
    ys = np.linspace(x[:, 1].min() - pad, x[:, 1].max() + pad, 150)
    gx, gy = np.meshgrid(xs, ys)
    grid = torch.tensor(np.c_[gx.ravel(), gy.ravel()], dtype=torch.float32)
    with torch.no_grad():
        prob = torch.sigmoid(net(grid)).numpy().reshape(gx.shape)
    area = right.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.55)
    right.contour(gx, gy, prob, levels=[0.5], colors="black", linewidths=1.2)
    for label, colour in ((0, "tab:blue"), (1, "tab:red")):
        mask = y == label
        right.scatter(
            x[mask, 0], x[mask, 1], s=14, c=colour, edgecolors="white", linewidths=0.4, label=f"class {label}"
        )
    right.set_xlabel("feature 1")
    right.set_ylabel("feature 2")
    right.set_title(f"Decision boundary on {name}: {_percent(accuracy)} correct")
    right.legend(loc="upper right", fontsize=8)
    fig.colorbar(area, ax=right, label="predicted probability of class 1")
    fig.suptitle(f"MLP 2-{'-'.join(map(str, layers))}-1 trained from random weights")
    fig.tight_layout()
    path = save_figure(ctx, fig, f"training-{name}")
    return Artifact("image", path, f"Loss curve and decision boundary of the MLP on {name}")


def _percent(share: float) -> str:
    """A share as a percentage that never rounds a miss up to 100%."""
    return "100%" if share == 1.0 else f"{min(share * 100, 99.9):.1f}%"


TOOL = ToolDeclaration.of(
    training_demo, TrainingDemoArgs, training_args, "Train a network and watch it learn"
)
