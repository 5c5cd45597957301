"""Text classification with an embedding and an LSTM: which topic (sports, weather, food) is a short
sentence about?

The sentences are generated (a few topic words among filler words), so the example needs no
download. It shows a ``Dataset`` with a ``collate_fn`` that pads variable-length sentences,
``nn.Embedding(padding_idx=0)``, ``pack_padded_sequence`` into ``nn.LSTM``, and a linear layer
on the last hidden state::

    python examples/text_classifier.py [--epochs N]
"""

from __future__ import annotations

import argparse
import random

import lanterna as torch
import lanterna.nn as nn
from lanterna.nn.utils.rnn import pack_padded_sequence, pad_sequence
from lanterna.utils.data import DataLoader, Dataset

TOPICS = {
    "sports": ["goal", "match", "team", "score", "coach", "league", "player"],
    "weather": ["rain", "sunny", "storm", "cloud", "wind", "snow", "forecast"],
    "food": ["pizza", "bread", "soup", "cheese", "salad", "dinner", "recipe"],
}
FILLER = ["the", "a", "today", "was", "very", "we", "saw", "after", "and", "it", "big", "in", "our",
          "town", "new", "good", "really", "at", "last", "night"]
CLASSES = list(TOPICS)
VOCAB = ["<pad>", "<unk>"] + FILLER + [w for words in TOPICS.values() for w in words]
INDEX = {word: i for i, word in enumerate(VOCAB)}


def make_sentences(n: int, rng: random.Random):
    """``n`` (sentence, label) pairs: 1-3 topic words placed among 3-9 filler words."""
    data = []
    for _ in range(n):
        label = rng.randrange(len(CLASSES))
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 9))]
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randint(0, len(words)), rng.choice(TOPICS[CLASSES[label]]))
        data.append((" ".join(words), label))
    return data


def encode(sentence: str):
    return torch.tensor([INDEX.get(word, INDEX["<unk>"]) for word in sentence.split()])


class SentenceDataset(Dataset):
    def __init__(self, pairs):
        self.pairs = pairs

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        sentence, label = self.pairs[i]
        return encode(sentence), label


def collate(batch):
    """Pad a batch of sentences to its longest one; keep the true lengths for packing."""
    tokens, labels = zip(*batch)
    lengths = torch.tensor([len(t) for t in tokens])
    return pad_sequence(list(tokens), batch_first=True, padding_value=0), lengths, torch.tensor(labels)


class TextClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim=16, hidden_dim=32, num_classes=3):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True)
        self.fc = nn.Linear(hidden_dim, num_classes)

    def forward(self, tokens, lengths):
        embedded = self.embedding(tokens)  # (batch, time, embed_dim)
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)  # h_n: (layers, batch, hidden): each sentence's last real step
        return self.fc(h_n[-1])


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for tokens, lengths, labels in loader:
            correct += (model(tokens, lengths).argmax(dim=1) == labels).sum().item()
            total += len(labels)
    model.train()
    return correct / total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8, help="training epochs (default 8)")
    parser.add_argument("--train-size", type=int, default=600, help="training sentences (default 600)")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    rng = random.Random(0)
    train_loader = DataLoader(SentenceDataset(make_sentences(args.train_size, rng)), batch_size=32,
                              shuffle=True, collate_fn=collate)
    test_loader = DataLoader(SentenceDataset(make_sentences(300, rng)), batch_size=100, collate_fn=collate)

    model = TextClassifier(len(VOCAB))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    history = []
    for epoch in range(1, args.epochs + 1):
        total_loss = 0.0
        for tokens, lengths, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(tokens, lengths), labels)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(labels)
        accuracy = evaluate(model, test_loader)
        history.append((total_loss / len(train_loader.dataset), accuracy))
        print(f"epoch {epoch}: train loss {history[-1][0]:.4f}, test accuracy {accuracy:.1%}")

    model.eval()
    examples = ["the storm was very big last night", "our team saw a good match", "we had soup and bread"]
    for sentence in examples:
        tokens = encode(sentence)
        with torch.no_grad():
            probs = model(tokens[None], torch.tensor([len(tokens)])).softmax(dim=1)[0]
        print(f"{sentence!r:40} -> {CLASSES[probs.argmax().item()]} ({probs.max().item():.0%})")
    return history


if __name__ == "__main__":
    main()
