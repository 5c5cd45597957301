"""Seed tutorial 0 ("common PyTorch functions explained"), section 1.2: nn.Embedding as a lookup table.

The tutorial does not seed its random weights: ``torch.manual_seed(0)`` is added so that the
printed vectors are reproducible (and the same as PyTorch's).
"""

import lanterna as torch
import lanterna.nn as nn

torch.manual_seed(0)

# Create the Embedding layer
num_embeddings = 10  # vocabulary size
embedding_dim = 3    # size of each embedding vector
embedding_layer = nn.Embedding(num_embeddings, embedding_dim)

# Input
input_indices = torch.LongTensor([1, 2, 3, 4])

# Map the indices to embedding vectors
output_vectors = embedding_layer(input_indices)

# Output
print("input_indices:", input_indices)
print("output_vectors:", output_vectors)

# The lookup returns rows 1, 2, 3 and 4 of the (num_embeddings, embedding_dim) weight matrix.
print(torch.equal(output_vectors, embedding_layer.weight[input_indices]))
print(embedding_layer.weight.shape)
