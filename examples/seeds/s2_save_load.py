"""Seed tutorial 2 ("PyTorch basics"), saving and loading: the whole model, its state_dict, and loading
a GPU-trained model on the CPU with map_location.

The tutorial leaves ``resnet`` and ``EncoderRNN`` undefined; small definitions stand in. Files
go to a temporary folder (or ``$LANTERNA_EXAMPLES_OUT``). Loading a whole pickled model needs
``weights_only=False`` since PyTorch 2.6. ``torch.manual_seed(0)`` is added.
"""

import os
import tempfile

import lanterna as torch
import lanterna.nn as nn

OUT = os.environ.get("LANTERNA_EXAMPLES_OUT") or tempfile.mkdtemp(prefix="lanterna-examples-")
torch.manual_seed(0)


class resnet(nn.Module):
    """A residual block, standing in for the tutorial's resnet."""

    def __init__(self):
        super(resnet, self).__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        return torch.relu(x + self.bn(self.conv(x)))


model_object = resnet()

# 1. the whole network: structure and parameters
# save the whole model
torch.save(model_object, os.path.join(OUT, 'resnet.pth'))
# load the whole model
model = torch.load(os.path.join(OUT, 'resnet.pth'), weights_only=False)
print(type(model).__name__, model)

# 2. only the parameters: net.state_dict()
my_resnet = model_object
# save the parameters
torch.save(my_resnet.state_dict(), os.path.join(OUT, "my_resnet.pth"))
# load them: build the model first
my_resnet = resnet()
print(my_resnet.load_state_dict(torch.load(os.path.join(OUT, "my_resnet.pth"))))
x = torch.rand(1, 3, 4, 4)
model.eval(), my_resnet.eval(), model_object.eval()
print(torch.equal(my_resnet(x), model_object(x)), torch.equal(model(x), model_object(x)))
print(list(torch.load(os.path.join(OUT, "my_resnet.pth")).keys()))


# a model trained on a GPU, run on the CPU: map_location
class EncoderRNN(nn.Module):
    """The encoder of PyTorch's seq2seq translation tutorial: an embedding and a GRU."""

    def __init__(self, input_size, hidden_size):
        super(EncoderRNN, self).__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size)

    def forward(self, input, hidden):
        embedded = self.embedding(input).view(1, 1, -1)
        output, hidden = self.gru(embedded, hidden)
        return output, hidden


lang_size, hidden_size = 12, 8
trained = EncoderRNN(lang_size, hidden_size)
torch.save(trained.state_dict(), os.path.join(OUT, 'encoder.pth'))

# torch.load with map_location: storages stay on the CPU
encoder = EncoderRNN(lang_size, hidden_size)
encoder.load_state_dict(torch.load(os.path.join(OUT, 'encoder.pth'),
                                   map_location=lambda storage, loc: storage))
output, hidden = encoder(torch.tensor([3]), torch.zeros(1, 1, hidden_size))
print(output.shape, hidden.shape, encoder.embedding.weight.device)
print(torch.equal(hidden, trained(torch.tensor([3]), torch.zeros(1, 1, hidden_size))[1]))
