import importlib
import numpy as np
import torch
import torch.nn as nn
import autodiff

importlib.reload(autodiff)  # your latest %%writefile
rng = np.random.default_rng(0)
params = {"W1": rng.normal(size=(2, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 1)),
          "b2": rng.normal(size=1)}
X, Y = rng.normal(size=(10, 2)), (rng.random((10, 1)) > 0.5).astype(float)
print("loss:", autodiff.bce_loss(autodiff.forward(params, X), Y))
by_hand = autodiff.numpy_gradients(params, X, Y)
numerical = autodiff.numerical_gradients(lambda p: autodiff.bce_loss(autodiff.forward(p, X), Y), params)
# The same weights in PyTorch: nn.Linear stores its weight as (out, in), the transpose of W1 and W2.
model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid()).double()
with torch.no_grad():
    for layer, (W, b) in zip((model[0], model[2]), (("W1", "b1"), ("W2", "b2"))):
        layer.weight.copy_(torch.tensor(params[W].T))
        layer.bias.copy_(torch.tensor(params[b]))
auto = autodiff.autograd_gradients(model, torch.tensor(X), torch.tensor(Y))
names = {"W1": "0.weight", "b1": "0.bias", "W2": "2.weight", "b2": "2.bias"}
for name, key in names.items():
    from_autograd = auto[key].numpy().T if name.startswith("W") else auto[key].numpy()
    print(f"{name}: by hand vs finite differences {autodiff.relative_error(by_hand[name], numerical[name]):.1e}, "
          f"vs autograd {autodiff.relative_error(by_hand[name], from_autograd):.1e}")
