"""Seed tutorial 1 ("PyTorch usage notes"), section 12: nn.Embedding, padding_idx and frozen pretrained
vectors.

The tutorial leaves ``emb`` (pretrained vectors) undefined; random ones stand in.
``torch.manual_seed(0)`` is added.
"""

import lanterna as torch

torch.manual_seed(0)

# a dictionary of 5 words, each a vector of size 20
embeds = torch.nn.Embedding(num_embeddings=5, embedding_dim=20)

# output = embeds(input)
# - input: an IntTensor or LongTensor of any shape
# - output: (*, H), * is input's shape, H = embedding_dim
input = torch.IntTensor([[0, 1, 2], [3, 4, 1]])  # torch.Size([2, 3])

output = embeds(input)
print(output.shape)  # torch.Size([2, 3, 20])

# padding_idx: that row is all zeros and receives no gradient
padded = torch.nn.Embedding(10, 3, padding_idx=3)
sentences = torch.tensor([[2, 4, 5, 3, 3], [1, 2, 7, 8, 9]])
vectors = padded(sentences)
print(vectors[0, 3:])
vectors.sum().backward()
print(padded.weight.grad[3], padded.weight.grad[2])

# pretrained vectors, frozen during training
emb = torch.randn(5, 20)
embeds.weight = torch.nn.Parameter(emb)
# freeze the embedding
embeds.weight.requires_grad = False
print(embeds(torch.tensor([1]))[0, :4], embeds.weight.requires_grad)
