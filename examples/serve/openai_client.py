"""Python's openai package pointed at elmo serve (docs/serve.md): pip install openai; python3 openai_client.py"""
import os

from openai import OpenAI

client = OpenAI(base_url=os.environ.get("ELMO_URL", "http://127.0.0.1:8080") + "/v1", api_key="unused")
answer = client.embeddings.create(model="default", input=["The bank of the river.", "I went to the bank."])
for item in answer.data:
    print(item.index, len(item.embedding), item.embedding[:4])
print("tokens:", answer.usage.prompt_tokens)
