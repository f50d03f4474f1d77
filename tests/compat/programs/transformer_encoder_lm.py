"""A word-level language model on nn.TransformerEncoder, in the style of PyTorch's word_language_model
example: sequence-first tensors, sinusoidal positions kept as a buffer, a square subsequent (causal)
float mask, NLLLoss on log-softmax, SGD with gradient clipping and a StepLR schedule."""
import math

import numpy as np

import minigrad as torch
import minigrad.nn as nn
import minigrad.nn.functional as F

CORPUS = ("the cat sat on the mat and the dog sat on the log . the cat saw the dog and the dog saw "
          "the cat . a bird sat on the dog and the cat ran .").split() * 6
VOCAB = sorted(set(CORPUS))
IDS = np.array([VOCAB.index(w) for w in CORPUS], dtype=np.int64)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.0, max_len=64):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[:x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Module):
    def __init__(self, ntoken, ninp=32, nhead=4, nhid=64, nlayers=2, dropout=0.0):
        super().__init__()
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        encoder_layers = nn.TransformerEncoderLayer(ninp, nhead, nhid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers, enable_nested_tensor=False)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    @staticmethod
    def square_subsequent_mask(sz):
        return torch.triu(torch.full((sz, sz), float("-inf")), diagonal=1)

    def forward(self, src, src_mask):
        src = self.encoder(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.transformer_encoder(src, src_mask)
        output = self.decoder(output)
        return F.log_softmax(output, dim=-1)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data[:nbatch * bsz]
    return data.view(bsz, -1).t().contiguous()


def make_model():
    return TransformerModel(len(VOCAB))


def train(model, bptt=6, epochs=3):
    data = batchify(torch.from_numpy(IDS), 4)
    criterion = nn.NLLLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.95)
    losses = []
    model.train()
    for epoch in range(epochs):
        for i in range(0, data.size(0) - 1, bptt):
            seq_len = min(bptt, len(data) - 1 - i)
            source, targets = data[i:i + seq_len], data[i + 1:i + 1 + seq_len].reshape(-1)
            mask = TransformerModel.square_subsequent_mask(seq_len)
            optimizer.zero_grad()
            output = model(source, mask)
            loss = criterion(output.view(-1, len(VOCAB)), targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
    return losses, {"decoder": model.decoder.weight.detach()}
