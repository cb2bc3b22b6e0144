"""A PyTorch sequence classifier, exported the way `rnn-rosetta convert` reads it: classifier.pt2.

Embedding -> 2-layer LSTM (batch-first, dropout between the layers) -> Linear on the last step,
the shape of the classifier in the seed articles. Put your trained model where `model` is.
"""

import torch


class SequenceClassifier(torch.nn.Module):
    def __init__(self, vocab: int = 50, embed: int = 8, hidden: int = 16, classes: int = 3) -> None:
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, embed)
        self.lstm = torch.nn.LSTM(embed, hidden, num_layers=2, batch_first=True, dropout=0.2)
        self.fc = torch.nn.Linear(hidden, classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # tokens [B, T] -> logits [B, classes]
        out, _ = self.lstm(self.embedding(tokens))
        return self.fc(out[:, -1, :])


torch.manual_seed(0)
model = SequenceClassifier().eval()  # inference: dropout off
example = torch.randint(0, 50, (2, 12))  # [B, T]: the batch and length the program is exported at
torch.export.save(torch.export.export(model, (example,)), "classifier.pt2")
print("wrote classifier.pt2")
