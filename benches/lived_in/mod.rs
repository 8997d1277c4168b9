//! The lived-in home of the benchmarks: start-up files as people have them (~200-line
//! `~/.bashrc`, `~/.profile` and `~/.zshenv`), a Go env file written by `go env -w` and another
//! environment.d file. `engine.rs` plans on it; `doctor.rs` reads it for every context.

use std::path::Path;

pub fn seed(home: &Path) {
    let write = |rel: &str, text: &str| {
        let path = home.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create parent");
        std::fs::write(&path, text).expect("write fixture");
    };
    write(".bashrc", &pad(BASHRC, 200, bash_extra));
    write(".profile", &pad(PROFILE_RC, 200, profile_extra));
    write(".zshenv", &pad(ZSHENV, 200, zsh_extra));
    write(
        ".config/go/env",
        "GOPROXY=direct\nGOFLAGS=-mod=mod\nGONOSUMDB=git.corp.example.com\nGOPATH=/opt/go\n",
    );
    write(
        ".config/environment.d/40-other.conf",
        "# Set by the desktop's setup script.\n\
         XDG_DATA_DIRS=\"${XDG_DATA_DIRS:-/usr/local/share:/usr/share}:/var/lib/flatpak/exports/share\"\n\
         MOZ_ENABLE_WAYLAND=1\n\
         SSH_AUTH_SOCK=\"${XDG_RUNTIME_DIR}/ssh-agent.socket\"\n\
         QT_QPA_PLATFORMTHEME=gnome\n",
    );
    std::fs::create_dir_all(home.join("go/bin")).expect("create GOBIN");
}

/// `base`, then generated lines (`extra(i)`) until it has `lines` lines.
fn pad(base: &str, lines: usize, extra: fn(usize) -> String) -> String {
    let mut out = base.to_owned();
    let mut i = 0;
    while out.lines().count() < lines {
        out.push_str(&extra(i));
        i += 1;
    }
    out
}

const PROJECTS: &[&str] = &[
    "api",
    "billing",
    "cli",
    "dashboard",
    "infra",
    "ingest",
    "notifier",
    "search",
    "web",
    "worker",
];

fn bash_extra(i: usize) -> String {
    let p = PROJECTS[i % PROJECTS.len()];
    format!(
        "\n# {p}: jump to the checkout and show its state\n\
         {p}_cd() {{\n    cd \"$HOME/src/github.com/example-corp/{p}{i}\" || return\n    \
         git status --short --branch\n}}\n\
         alias {p}{i}='{p}_cd && make -s'\n"
    )
}

fn profile_extra(i: usize) -> String {
    let p = PROJECTS[i % PROJECTS.len()];
    format!(
        "\nif [ -d \"$HOME/opt/{p}{i}/bin\" ] ; then\n    PATH=\"$HOME/opt/{p}{i}/bin:$PATH\"\nfi\n\
         export {}_CONFIG=\"$HOME/.config/{p}/{i}.yaml\"\n",
        p.to_uppercase()
    )
}

fn zsh_extra(i: usize) -> String {
    let p = PROJECTS[i % PROJECTS.len()];
    format!(
        "\n# {p} ({i})\n\
         typeset -gx {}_HOME=\"$HOME/src/{p}\"\n\
         [[ -d $HOME/src/{p}/bin ]] && path=($HOME/src/{p}/bin $path)\n\
         hash -d {p}{i}=$HOME/src/{p}\n",
        p.to_uppercase()
    )
}

const BASHRC: &str = r#"# ~/.bashrc: executed by bash(1) for non-login shells.
# see /usr/share/doc/bash/examples/startup-files (in the package bash-doc)
# for examples

# If not running interactively, don't do anything
case $- in
    *i*) ;;
      *) return;;
esac

# don't put duplicate lines or lines starting with space in the history.
# See bash(1) for more options
HISTCONTROL=ignoreboth

# append to the history file, don't overwrite it
shopt -s histappend

# for setting history length see HISTSIZE and HISTFILESIZE in bash(1)
HISTSIZE=1000
HISTFILESIZE=2000

# check the window size after each command and, if necessary,
# update the values of LINES and COLUMNS.
shopt -s checkwinsize

# make less more friendly for non-text input files, see lesspipe(1)
[ -x /usr/bin/lesspipe ] && eval "$(SHELL=/bin/sh lesspipe)"

# set variable identifying the chroot you work in (used in the prompt below)
if [ -z "${debian_chroot:-}" ] && [ -r /etc/debian_chroot ]; then
    debian_chroot=$(cat /etc/debian_chroot)
fi

# set a fancy prompt (non-color, unless we know we "want" color)
case "$TERM" in
    xterm-color|*-256color) color_prompt=yes;;
esac

if [ "$color_prompt" = yes ]; then
    PS1='${debian_chroot:+($debian_chroot)}\[\033[01;32m\]\u@\h\[\033[00m\]:\[\033[01;34m\]\w\[\033[00m\]\$ '
else
    PS1='${debian_chroot:+($debian_chroot)}\u@\h:\w\$ '
fi
unset color_prompt force_color_prompt

# If this is an xterm set the title to user@host:dir
case "$TERM" in
xterm*|rxvt*)
    PS1="\[\e]0;${debian_chroot:+($debian_chroot)}\u@\h: \w\a\]$PS1"
    ;;
*)
    ;;
esac

# enable color support of ls and also add handy aliases
if [ -x /usr/bin/dircolors ]; then
    test -r ~/.dircolors && eval "$(dircolors -b ~/.dircolors)" || eval "$(dircolors -b)"
    alias ls='ls --color=auto'
    alias grep='grep --color=auto'
    alias fgrep='fgrep --color=auto'
    alias egrep='egrep --color=auto'
fi

# some more ls aliases
alias ll='ls -alF'
alias la='ls -A'
alias l='ls -CF'

# Add an "alert" alias for long running commands.  Use like so:
#   sleep 10; alert
alias alert='notify-send --urgency=low -i "$([ $? = 0 ] && echo terminal || echo error)" "$(history|tail -n1|sed -e '\''s/^\s*[0-9]\+\s*//;s/[;&|]\s*alert$//'\'')"'

# Alias definitions.
if [ -f ~/.bash_aliases ]; then
    . ~/.bash_aliases
fi

# enable programmable completion features
if ! shopt -oq posix; then
  if [ -f /usr/share/bash-completion/bash_completion ]; then
    . /usr/share/bash-completion/bash_completion
  elif [ -f /etc/bash_completion ]; then
    . /etc/bash_completion
  fi
fi

export NVM_DIR="$HOME/.nvm"
[ -s "$NVM_DIR/nvm.sh" ] && \. "$NVM_DIR/nvm.sh"  # This loads nvm
[ -s "$NVM_DIR/bash_completion" ] && \. "$NVM_DIR/bash_completion"

# >>> conda initialize >>>
# !! Contents within this block are managed by 'conda init' !!
__conda_setup="$('/home/dev/miniconda3/bin/conda' 'shell.bash' 'hook' 2> /dev/null)"
if [ $? -eq 0 ]; then
    eval "$__conda_setup"
else
    if [ -f "/home/dev/miniconda3/etc/profile.d/conda.sh" ]; then
        . "/home/dev/miniconda3/etc/profile.d/conda.sh"
    else
        export PATH="/home/dev/miniconda3/bin:$PATH"
    fi
fi
unset __conda_setup
# <<< conda initialize <<<

[ -f ~/.fzf.bash ] && source ~/.fzf.bash
eval "$(direnv hook bash)"
export GOPATH="$HOME/go"
export PATH="$PATH:/usr/local/go/bin:$GOPATH/bin"
"#;

const PROFILE_RC: &str = r#"# ~/.profile: executed by the command interpreter for login shells.
# This file is not read by bash(1), if ~/.bash_profile or ~/.bash_login
# exists.
# see /usr/share/doc/bash/examples/startup-files for examples.
# the files are located in the bash-doc package.

# the default umask is set in /etc/profile; for setting the umask
# for ssh logins, install and configure the libpam-umask package.
#umask 022

# if running bash
if [ -n "$BASH_VERSION" ]; then
    # include .bashrc if it exists
    if [ -f "$HOME/.bashrc" ]; then
	. "$HOME/.bashrc"
    fi
fi

# set PATH so it includes user's private bin if it exists
if [ -d "$HOME/bin" ] ; then
    PATH="$HOME/bin:$PATH"
fi

# set PATH so it includes user's private bin if it exists
if [ -d "$HOME/.local/bin" ] ; then
    PATH="$HOME/.local/bin:$PATH"
fi

. "$HOME/.cargo/env"
export LANG=en_US.UTF-8
export PAGER=less
export LESS=-FRX
"#;

const ZSHENV: &str = r#"# ~/.zshenv: read by every zsh, interactive or not, before .zprofile and .zshrc.
# Keep it fast: no output, no commands that fork when it can be helped.

typeset -U path PATH
skip_global_compinit=1

export LANG=en_US.UTF-8
export EDITOR=vim
export VISUAL=vim
export PAGER=less
export LESS='-FRX --mouse'
export XDG_CONFIG_HOME="$HOME/.config"
export XDG_DATA_HOME="$HOME/.local/share"
export XDG_CACHE_HOME="$HOME/.cache"
export ZDOTDIR="$HOME"

path=(
  $HOME/bin
  $HOME/.local/bin
  $HOME/.cargo/bin
  /usr/local/go/bin
  $path
)

if [[ -r "$HOME/.cargo/env" ]]; then
  source "$HOME/.cargo/env"
fi
"#;
