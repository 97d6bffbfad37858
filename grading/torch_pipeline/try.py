import importlib
import torch
import torch_pipeline

importlib.reload(torch_pipeline)  # your latest %%writefile
generator = torch.Generator().manual_seed(0)
X = torch.randn(200, 2, generator=generator) * torch.tensor([2.0, 0.5]) + torch.tensor([3.0, -2.0])
Y = ((X[:, 0] > 3.0) ^ (X[:, 1] > -2.0)).float().unsqueeze(1)
loader = torch_pipeline.make_loader(X, Y, batch_size=16, seed=1)
print("first batch sizes:", [len(x) for x, _ in loader][:3], "... last:", [len(x) for x, _ in loader][-1])
device = torch_pipeline.pick_device()
torch.manual_seed(1)
model = torch_pipeline.make_model(X.mean(dim=0), X.std(dim=0))
print("device:", device, "| buffers:", [name for name, _ in model.named_buffers()])
losses = torch_pipeline.train_minibatches(model, loader, epochs=60, lr=0.05, device=device)
print(f"loss: {losses[0]:.4f} at the first epoch, {losses[-1]:.4f} at the last")
accuracy = (torch.as_tensor(torch_pipeline.predict(model, X, device)) == Y).float().mean()
print(f"accuracy on the training rows: {accuracy:.2f}")
