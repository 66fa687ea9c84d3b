"""The case loop: 立案 → 派遣 → 处置 → 反馈 → 核查结案 → 评价, with its side paths.

``states`` holds the transition table, ``service`` applies actions, ``opening`` registers the
case of a verified incident; ``actor`` and ``scope`` say who acts and what they may see.
"""
