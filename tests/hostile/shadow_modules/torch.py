raise ImportError("a student's torch.py shadowed the real torch")
