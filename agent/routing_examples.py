"""Seed phrases for the embedding router: a few ways people ask for each tool.

They are the router's initial memory; feedback adds more per user.
"""

from __future__ import annotations

SEED_EXAMPLES: dict[str, list[str]] = {
    "search_notes": [
        "What is self-attention?",
        "Explain positional encoding",
        "What are neurons and layers?",
        "How does training work?",
        "What is generative AI?",
        "What was GPT-2 trained on?",
        "What does the notes say about online learning?",
        "Why must AI adapt after deployment?",
        "What is backpropagation?",
        "What sizes does it come in?",
        "Who developed Llama 2?",
        "What is the difference between batch and online learning?",
        "Tell me about transformers",
        "What is the capital of France?",
        "What is a loss function?",
    ],
    "attention_demo": [
        "Show me the attention weights for 'The cat sat on the mat'",
        "Visualize self-attention on a sentence",
        "Which word does 'it' attend to in 'The animal didn't cross the street because it was too tired'?",
        "Draw the attention heatmap of layer 2 head 3",
        "Show the attention picture for my sentence",
        "Run the attention demo",
        "Plot attention for all heads",
        "What does the model attend to in this sentence?",
    ],
    "positional_encoding_demo": [
        "Show me positional encoding",
        "Plot the sinusoidal positional encoding",
        "Demonstrate why word order matters with positional encodings",
        "Compare 'The cat in the tree' and 'The tree in the cat' with position embeddings",
        "Visualize position embeddings of a real model",
        "Run the positional encoding demo with 64 positions",
    ],
    "training_demo": [
        "Train a small neural network on XOR",
        "Show me a network learning",
        "Run the training demo on the moons dataset",
        "Train an MLP and plot the loss curve",
        "Show backpropagation in action on a toy dataset",
        "Fit a tiny network to circles for 500 epochs",
    ],
    "online_learning_demo": [
        "Compare online learning and batch learning under drift",
        "Show online vs batch learning",
        "Simulate user preferences that drift",
        "Run the online learning demo",
        "Demonstrate concept drift with an online learner",
        "Show how an online model adapts when preferences change",
    ],
    "hub_lookup": [
        "Look up gpt2 on the Hugging Face Hub",
        "How many downloads does bert-base-uncased have?",
        "Compare gpt2 and gpt-neo on the Hub",
        "Find text-to-speech models on the hub",
        "What license does stable-diffusion-v1-5 have?",
        "Search the Hub for sentiment models",
        "Show me model info for suno/bark",
        "How many likes does llama-2-7b have on Hugging Face?",
    ],
    "generate_text": [
        "Write a short poem about neural networks",
        "Generate text: Once upon a time",
        "Continue this story: The robot opened the door",
        "Use gpt2 to generate a sentence about the sea",
        "Write a haiku about transformers",
        "Generate a paragraph with temperature 0.9",
    ],
    "generate_image": [
        "Draw a picture of a cat astronaut",
        "Generate an image of a sunset over mountains",
        "Make an image with stable diffusion of a red car",
        "Create a picture of a robot painting",
        "Paint an illustration of a forest",
    ],
    "generate_audio": [
        "Say 'hello world' out loud",
        "Generate speech for this text: welcome to the class",
        "Turn this sentence into audio with bark",
        "Read this aloud: deep learning is fun",
        "Make a voice clip saying good morning",
    ],
}
