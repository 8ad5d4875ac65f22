"""NVIDIA NIM adapters (OpenAI-compatible API): embeddings and the chat-based classifier.

The same adapters work against the hosted API, a self-hosted NIM container, or any
OpenAI-compatible server (vLLM, Ollama) reachable at ``NVIDIA_BASE_URL``.
"""

from app.adapters.ai.nvidia.classifier import LLMAnswer, NimClassifier
from app.adapters.ai.nvidia.client import build_nim_http
from app.adapters.ai.nvidia.embedder import NimEmbedder

__all__ = ["LLMAnswer", "NimClassifier", "NimEmbedder", "build_nim_http"]
