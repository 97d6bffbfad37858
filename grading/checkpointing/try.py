import importlib
import tempfile
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notices
import numpy as np
import torch
import torch.nn as nn
import keras
import checkpointing

importlib.reload(checkpointing)  # your latest %%writefile
X = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
Y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float32)


def run(model, optimizer, epochs):
    for _ in range(epochs):
        optimizer.zero_grad()
        nn.BCELoss()(model(X), Y).backward()
        optimizer.step()


def new_net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid())


folder = tempfile.mkdtemp()
path = os.path.join(folder, "xor.pt")
model = new_net(0)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
run(model, optimizer, 50)
checkpointing.save_checkpoint(path, model, optimizer, epoch=50)
print("in the model's state_dict:", {name: tuple(t.shape) for name, t in model.state_dict().items()})
print("Adam's state of parameter 0:", sorted(optimizer.state_dict()["state"][0]))

resumed = new_net(1)  # other weights: load_checkpoint must overwrite them
resumed_optimizer = torch.optim.Adam(resumed.parameters(), lr=0.05)
epoch = checkpointing.load_checkpoint(path, resumed, resumed_optimizer)
run(resumed, resumed_optimizer, 50)
straight = new_net(0)
straight_optimizer = torch.optim.Adam(straight.parameters(), lr=0.05)
run(straight, straight_optimizer, 100)
print(f"resumed at epoch {epoch}; largest gap to 100 epochs in one go:",
      max((a - b).abs().max().item() for a, b in zip(resumed.parameters(), straight.parameters())))

keras_model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(4, activation="relu"),
                                keras.layers.Dense(1, activation="sigmoid")])
keras_model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy")
keras_model.fit(X.numpy(), Y.numpy(), epochs=5, verbose=0)
checkpointing.save_keras(keras_model, os.path.join(folder, "xor.keras"))
loaded = checkpointing.load_keras(os.path.join(folder, "xor.keras"))
print("Keras: optimizer at step", int(loaded.optimizer.iterations), "- weights equal:",
      all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), keras_model.get_weights())))
