"""A chat flattened into one prompt is classified by its newest user turn (classifier._turns)."""

from __future__ import annotations

import pytest

from classifier import TierClassifier
from classifier._features import bound_text
from classifier._turns import newest_user_turn

REQUEST = "Prove that there are infinitely many primes."
LLAMA2_SYSTEM = (
    "You are a helpful, respectful and honest assistant. Always answer as helpfully as possible, while being "
    "safe. Your answers should not include any harmful, unethical or illegal content.\n\nIf a question does "
    "not make any sense, explain why instead of answering something not correct."
)

CHATS = {
    "llama 2 system block": f"<s>[INST] <<SYS>>\n{LLAMA2_SYSTEM}\n<</SYS>>\n\n{REQUEST} [/INST]",
    "chatml, two turns": (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
        "<|im_start|>assistant\nHello! How can I help?<|im_end|>\n"
        f"<|im_start|>user\n{REQUEST}<|im_end|>\n<|im_start|>assistant\n"
    ),
    "llama 3 headers": (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
        "You are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
        f"{REQUEST}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    ),
    "product system prompt, labels": (
        "You are Nova, a large language model built into the Acme app.\nKnowledge cutoff: 2024-01\n"
        f"Current date: 2025-03-02\n\nRules:\n- Use Markdown.\n- Be polite.\n\nUser: {REQUEST}\nAssistant:"
    ),
    "french labels": (
        "Tu es Lumi, un grand modèle de langage de la Banque Horizon.\nRègles : vouvoie l'utilisateur.\n\n"
        f"Utilisateur : {REQUEST}\nAssistant :"
    ),
    "assistant named in the cue": (
        f"Eres Aurora, un modelo de lenguaje de TecnoVía. Responde con un tono cercano.\n\nUsuario: {REQUEST}\nAurora:"
    ),
    "inline upper-case labels": (
        "A chat between a curious user and an artificial intelligence assistant. The assistant gives "
        f"helpful answers to the user's questions. USER: {REQUEST} ASSISTANT:"
    ),
    "small talk first": f"User: hey\nAssistant: Hey! How can I help?\nUser: {REQUEST}\nAssistant:",
    "vicuna, two turns": (
        "A chat between a curious user and an artificial intelligence assistant. USER: hi. ASSISTANT: "
        f"Hello!</s>USER: {REQUEST} ASSISTANT:"
    ),
    "markdown labels": f"**User**: {REQUEST}\n**Assistant**:",
    "markdown labels, colon inside the bold, a named cue": (
        "# Ferro Dev Copilot\n**Build:** 2.1 | **Tier:** standard\n\n## Behaviour\n- Prefer Go examples.\n\n"
        f"---\n\n**User:** {REQUEST}\n\n**Copilot:**"
    ),
    "chinese labels, full-width colons": (
        f"系统：你是“云帆”，一个礼貌的智能助手。请用简体中文回答。\n\n用户：{REQUEST}\n助手："
    ),
    "chinese label with a question word, named cue": (
        f"你是“星河办公”的智能助手小星。\n请遵守以下规则：\n1. 回答简洁。\n\n用户问题：{REQUEST}\n\n小星："
    ),
    "japanese labels": f"システム: あなたは丁寧なAIアシスタントです。\nユーザー: {REQUEST}\nアシスタント:",
    "deepseek, system text after the opening token": (
        f"<｜begin▁of▁sentence｜>You are DeepSeek, created by DeepSeek.<｜User｜>{REQUEST}<｜Assistant｜>"
    ),
}


@pytest.mark.parametrize("name", sorted(CHATS))
def test_a_flattened_chat_is_cut_to_its_newest_user_turn(name: str) -> None:
    assert newest_user_turn(CHATS[name]).strip() == REQUEST


@pytest.mark.parametrize(
    "text",
    [
        # a transcript given as material: the opening is the request
        "Summarise this chat:\nUser: I want a refund\nAgent: Sure, what is the order number?",
        # the assistant has answered after the last user turn: not waiting for a reply
        "Here is a chat between a user and an AI assistant. Rate the answer.\nUser: What is 2+2?\nAssistant: 5",
        # the assistant's turn holds text
        f"<|im_start|>user\n{REQUEST}<|im_end|>\n<|im_start|>assistant\nThere are: suppose not.<|im_end|>\n",
        # text after the last user turn's end
        f"<|im_start|>user\n{REQUEST}<|im_end|>\nAlso rate the proof from 1 to 10.",
        # an opening that neither is empty nor names the assistant
        "Input: 3\nOutput: 9\nUser: write the function",
        "You are given a list of numbers.\nUser: sort them",
        # a system turn after the last user turn
        "User: hello\nSystem: the session has ended.",
        # nothing in the user turn
        "You are a helpful assistant. Write a dialogue.\nUser:",
        REQUEST,
        # labels with no cue for the reply: a request about a chatbot, then its material
        "I'm designing a chatbot for my bakery. How should the bot respond to this customer?\nUser: Do you have bread?",
        "I'm building an AI chatbot. Why does this config fail?\n\ndatabase:\n  host: localhost\n  user: admin",
        # an opening ending with a colon introduces the chat as material
        "You are a helpful assistant. Summarise this:\nUser: a\nAssistant: b\nUser: c\nAssistant:",
        "请分析以下对话：\n用户：你好\n助手：您好，有什么可以帮您？\n用户：退款\n助手：",  # full-width colon
        # "j'ai" does not name an AI
        "J'ai écrit ce dialogue, corrige les fautes.\nUtilisateur : Bonjour\nServeur : Voilà\n"
        "Utilisateur : Merci\nServeur :",
        # the last line ends with a colon but is not a name
        "You are a helpful assistant.\nUser: Finish this poem.\nRoses are red\nViolets are:",
        # a question about a template: its turn is not closed
        "What does [INST] mean in Llama 2 prompts?",
        "I'm writing a prompt for my AI assistant. Improve it:\n<system>Be concise.</system>\n<user>{q}</user>",
    ],
)
def test_other_prompts_are_left_whole(text: str) -> None:
    assert newest_user_turn(text) == text


def test_markers_of_another_template_inside_the_turn_do_not_end_it() -> None:
    """A ChatML prompt whose request quotes a labelled dialogue keeps the whole quote."""
    request = "Continue this dialogue:\nUser: Where is the station?\nGuide:"
    chat = f"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{request}<|im_end|>\n"
    assert newest_user_turn(chat).strip() == request


def test_labels_written_in_another_style_are_the_turns_text() -> None:
    """A YAML key ``user:`` inside a turn opened by ``User:`` does not start a turn."""
    request = "Fix the bug in this config:\n```\nuser: admin\nmodel: x1\n```"
    chat = f"You are ChatGPT, a large language model trained by OpenAI.\n\nUser: {request}\nAssistant:"
    assert newest_user_turn(chat).strip() == request


def test_long_prompts_are_not_cut() -> None:
    """Beyond head + tail characters the middle is not read, so nothing is known of what it holds."""
    chat = f"<s>[INST] <<SYS>>\n{LLAMA2_SYSTEM}\n<</SYS>>\n\n{REQUEST} " + "x " * 2500 + "[/INST]"
    assert "Always answer as helpfully" in bound_text(chat, 3000, 1000)
    short = CHATS["llama 2 system block"]
    assert "Always answer as helpfully" not in bound_text(short, 3000, 1000)


@pytest.fixture(scope="module")
def shipped() -> TierClassifier:
    return TierClassifier.load()


@pytest.mark.parametrize(
    "request_text",
    [
        "Translate into French: the meeting is moved to Thursday.",
        "Prove that the square root of 2 is irrational.",
        "Design a rate limiter for a distributed API gateway serving 50k requests per second.",
    ],
)
def test_a_long_system_prompt_does_not_move_the_tier(shipped: TierClassifier, request_text: str) -> None:
    chat = f"<s>[INST] <<SYS>>\n{LLAMA2_SYSTEM}\n<</SYS>>\n\n{request_text} [/INST]"
    assert shipped.predict([chat])[0] == shipped.predict([request_text])[0]
