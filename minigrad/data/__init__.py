"""The course's text data: file and folder loaders (labels checked), GLUE SST-2, the phrases inside
SST-2's sentences, the embedded corpus, length bucketing and padding.

The generic pieces (``Dataset``, ``TensorDataset``, ``DataLoader``, ``default_collate``) are
PyTorch's, from ``minigrad.utils.data``; they are re-exported here so ``minigrad.data.DataLoader``
keeps working.  ``BucketBatchSampler`` plugs into ``DataLoader(batch_sampler=...)``.
"""
from .dataloader import DataLoader, default_collate, numpy_collate
from .dataset import Dataset, ListDataset, TensorDataset
from .errors import DataError
from .files import load_folder_per_class, load_labelled_file, load_text_lines, read_labelled_rows
from .folders import SplitFolder, find_split_file, is_split_folder, load_split_folder
from .labels import class_ids, learn_classes
from .phrases import longest_rows, rows_inside
from .sampler import BucketBatchSampler, pad_batch
from .sentiment_corpus import KINDS, Example, bag_of_words_baseline, make_sentiment_corpus
from .sst2 import GLUE_SST2_SHA256, GLUE_SST2_URL, download_sst2, file_sha256, load_glue_sst2

__all__ = [
    "Dataset", "ListDataset", "TensorDataset",
    "DataLoader", "default_collate", "numpy_collate",
    "BucketBatchSampler", "pad_batch",
    "DataError",
    "load_labelled_file", "load_folder_per_class", "load_text_lines", "read_labelled_rows",
    "load_split_folder", "find_split_file", "is_split_folder", "SplitFolder", "learn_classes", "class_ids",
    "longest_rows", "rows_inside",
    "load_glue_sst2", "download_sst2", "file_sha256", "GLUE_SST2_URL", "GLUE_SST2_SHA256",
    "make_sentiment_corpus", "bag_of_words_baseline", "Example", "KINDS",
]
