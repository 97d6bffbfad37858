raise ImportError("HOSTILE: a shadowing torch.py was imported")
