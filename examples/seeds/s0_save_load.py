"""Seed tutorial 0 ("common PyTorch functions explained"), sections 1.6-1.7: torch.save and torch.load,
of a whole model and of its state_dict.

The tutorial's paths are placeholders: the files go to a temporary folder (or
``$LANTERNA_EXAMPLES_OUT``). Loading a whole pickled model needs ``weights_only=False``
since PyTorch 2.6. ``torch.manual_seed(0)`` is added.
"""

import os
import tempfile

import lanterna as torch
import lanterna.nn as nn

OUT = os.environ.get("LANTERNA_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="lanterna-examples-")

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
model_path = os.path.join(OUT, "model.pt")
params_path = os.path.join(OUT, "model_params.pt")

torch.save(model, model_path)  # save the whole model
torch.save(model.state_dict(), params_path)  # save only the parameters

whole = torch.load(model_path, weights_only=False)
print(whole)
state = torch.load(params_path)
print(list(state.keys()))
print(state["2.bias"])

fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
print(fresh.load_state_dict(state))
x = torch.ones(1, 3)
print(torch.equal(fresh(x), model(x)), torch.equal(whole(x), model(x)))
