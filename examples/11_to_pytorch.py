"""Step 11: the same model in PyTorch, with the same numbers.

A digits CNN trained here for one epoch moves to PyTorch with ``to_torch``: a
``torch.nn.Sequential`` of the same layers with the same weights (the names, shapes
and equations are PyTorch's, so the copy is just load_state_dict). Both then predict
the test digits, and both compute the gradient of the same loss: they agree to about
1e-15, in float64. ``from_torch`` brings a torch model back.

Run: python3 examples/11_to_pytorch.py   (needs torch and scikit-learn)
"""

import numpy as np
import torch

from tinygrad_edu import Tensor
from tinygrad_edu.bridge import from_torch, to_torch
from tinygrad_edu.data import DataLoader, digits
from tinygrad_edu.demos import digits_cnn, predict_classes
from tinygrad_edu.losses import cross_entropy
from tinygrad_edu.optim import Adam


def main() -> None:
    X_train, y_train, X_test, y_test = digits(seed=0)
    model = digits_cnn(seed=0)
    optimizer = Adam(model.parameters(), lr=0.01)
    for images, labels in DataLoader(X_train, y_train, batch_size=32, seed=0):
        optimizer.zero_grad()
        cross_entropy(model(images), labels).backward()
        optimizer.step()

    torch_model = to_torch(model)  # a torch.nn.Sequential, float64, the same weights
    print(torch_model)
    ours = predict_classes(model, X_test)
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(X_test)).argmax(dim=1).numpy()
    print(f"same predictions on {int((ours == theirs).sum())} of {len(y_test)} test digits")

    loss = cross_entropy(model(Tensor(X_test)), y_test)
    model.zero_grad()
    loss.backward()
    torch_loss = torch.nn.functional.cross_entropy(
        torch_model(torch.from_numpy(X_test)), torch.from_numpy(y_test)
    )
    torch_loss.backward()
    gap = max(
        float(np.abs(parameter.grad - torch_parameter.grad.numpy()).max())
        for parameter, torch_parameter in zip(model.parameters(), torch_model.parameters())
    )
    print(f"loss: ours {loss.item():.15f}, torch {torch_loss.item():.15f}")
    print(f"largest difference between the gradients: {gap:.1e}")

    back = from_torch(torch_model)  # and back again
    same = all(
        np.array_equal(a, b)
        for a, b in zip(back.state_dict().values(), model.state_dict().values())
    )
    print(f"back from torch, the same weights: {same}")


if __name__ == "__main__":
    main()
